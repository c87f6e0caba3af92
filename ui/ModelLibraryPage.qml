import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts
import Nibble.App

// The models on this computer, each with the precisions (variants) it is
// stored in: size, file, origin and quality figures. Importing adds a .gguf
// file (so does dropping files or folders on the window: ModelDropArea); the
// "Download models" section below the list fetches catalog models, and
// "Search Hugging Face" any GGUF model on the Hub.
Item {
    id: page
    signal useVariant(var variantId)

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 24
        spacing: 16

        RowLayout {
            Layout.fillWidth: true
            Layout.maximumWidth: 980
            Layout.alignment: Qt.AlignHCenter
            spacing: 10
            ColumnLayout {
                Layout.fillWidth: true
                spacing: 2
                Label {
                    text: qsTr("Models on this computer")
                    color: Theme.text
                    font.pixelSize: 18
                    font.weight: Font.DemiBold
                }
                Label {
                    text: qsTr("Each model can be kept in several precisions: fewer bits are smaller and faster, more bits answer closer to the original.")
                    color: Theme.mutedText
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
            }
            Button {
                objectName: "importButton"
                text: qsTr("Import .gguf…")
                icon.source: "qrc:/nibble/icons/import.svg"
                icon.width: 16
                icon.height: 16
                highlighted: true
                enabled: !Library.importing
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Or drop .gguf files or folders anywhere on the window")
                onClicked: importDialog.open()
            }
        }

        Label {
            objectName: "libraryMessage"
            Layout.fillWidth: true
            Layout.maximumWidth: 980
            Layout.alignment: Qt.AlignHCenter
            visible: Library.message.length > 0
            text: Library.message
            color: Theme.mutedText
            wrapMode: Text.Wrap
        }

        // How making the last variant went, with the quantizer's warnings.
        Rectangle {
            objectName: "builderMessage"
            Layout.fillWidth: true
            Layout.maximumWidth: 980
            Layout.alignment: Qt.AlignHCenter
            visible: Builder.message.length > 0 && !Builder.running
            implicitHeight: builderMessageLayout.implicitHeight + 16
            radius: 8
            color: Theme.raised
            RowLayout {
                id: builderMessageLayout
                anchors.fill: parent
                anchors.margins: 8
                anchors.leftMargin: 12
                ColumnLayout {
                    Layout.fillWidth: true
                    spacing: 2
                    Label {
                        Layout.fillWidth: true
                        text: Builder.message
                        color: Theme.text
                        wrapMode: Text.Wrap
                    }
                    Repeater {
                        model: Builder.warnings
                        delegate: Label {
                            required property string modelData
                            Layout.fillWidth: true
                            text: qsTr("Note: %1").arg(modelData)
                            color: Theme.danger
                            font.pixelSize: 12
                            wrapMode: Text.Wrap
                        }
                    }
                }
                IconButton {
                    Layout.alignment: Qt.AlignTop
                    iconName: "close"
                    tip: qsTr("Dismiss")
                    onClicked: Builder.dismissMessage()
                }
            }
        }

        ListView {
            id: list
            objectName: "variantList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.maximumWidth: 980
            Layout.alignment: Qt.AlignHCenter
            clip: true
            spacing: 8
            model: Variants
            boundsBehavior: Flickable.StopAtBounds
            ScrollBar.vertical: ScrollBar {}
            footer: ColumnLayout {
                width: list.width
                spacing: 0
                // The search first: the catalog below it is long.
                HubSearchSection { Layout.fillWidth: true }
                DownloadSection { Layout.fillWidth: true }
            }
            section.property: "modelName"
            section.delegate: ColumnLayout {
                required property string section
                width: ListView.view.width
                spacing: 0
                Label {
                    Layout.topMargin: 14
                    Layout.bottomMargin: 6
                    text: section
                    color: Theme.text
                    font.pixelSize: 15
                    font.weight: Font.DemiBold
                }
            }
            delegate: Rectangle {
                id: card
                objectName: "variantCard"
                required property var variantId
                required property string label
                required property string architecture
                required property string parameters
                required property string license
                required property string precision
                required property string bits
                required property string filePath
                required property bool fileExists
                required property string sizeText
                required property string origin
                required property var perplexity
                required property var kldMean
                required property var sameTopPercent
                required property var measuredTokensPerSecond
                required property string derivedFromLabel
                required property string qualityNote
                required property string kind
                required property bool madeFromFewerBits
                readonly property bool inUse: variantId === Chat.variantId
                readonly property bool building: Builder.running && Builder.sourceVariantId === variantId
                readonly property bool measured: kldMean !== undefined && kldMean !== null
                // The catalog's real 8-bit file, where the library holds no real 8-bit file of this model.
                readonly property var originalOffer: EightBitOriginal.revision >= 0
                                                     ? EightBitOriginal.offerFor(variantId) : ({})
                readonly property string originalState: originalOffer.state || ""

                width: ListView.view.width
                implicitHeight: cardLayout.implicitHeight + 28
                radius: 12
                color: Theme.surface
                border.color: inUse ? Theme.accent : Theme.border

                function figure(value, digits, suffix) {
                    return value === undefined || value === null ? "—" : Number(value).toFixed(digits) + (suffix || "")
                }

                RowLayout {
                    id: cardLayout
                    anchors.fill: parent
                    anchors.margins: 14
                    spacing: 16

                    Rectangle {
                        Layout.alignment: Qt.AlignTop
                        implicitWidth: Math.max(64, precisionBadge.implicitWidth + 16)
                        implicitHeight: 40
                        radius: 8
                        color: Theme.selection
                        Label {
                            id: precisionBadge
                            anchors.centerIn: parent
                            text: card.precision
                            color: Theme.accent
                            font.weight: Font.DemiBold
                        }
                    }
                    ColumnLayout {
                        Layout.fillWidth: true
                        // Fills what the buttons leave; a long note must not narrow them.
                        Layout.preferredWidth: 200
                        spacing: 4
                        Label {
                            text: (card.bits.length > 0 ? card.bits + " · " : "") + card.sizeText + " · "
                                  + card.parameters + qsTr(" parameters") + " · " + card.architecture
                                  + (card.license.length > 0 ? " · " + card.license : "")
                            color: Theme.text
                        }
                        Label {
                            Layout.fillWidth: true
                            text: card.fileExists ? card.filePath : qsTr("Missing: %1").arg(card.filePath)
                            color: card.fileExists ? Theme.mutedText : Theme.danger
                            font.pixelSize: 12
                            elide: Text.ElideMiddle
                        }
                        Label {
                            objectName: "baseModelNote"
                            Layout.fillWidth: true
                            visible: card.kind === "base"
                            text: qsTr("Base model: it continues text and does not follow instructions or chat.")
                            color: Theme.danger
                            font.pixelSize: 12
                            wrapMode: Text.Wrap
                        }
                        Label {
                            objectName: "originNote"
                            Layout.fillWidth: true
                            text: card.derivedFromLabel.length > 0
                                  ? (card.madeFromFewerBits
                                     ? qsTr("Made by Nibble from %1: it holds no more than that file, so it cannot answer better.").arg(card.derivedFromLabel)
                                     : qsTr("Made by Nibble from %1").arg(card.derivedFromLabel))
                                  : qsTr("Origin: %1").arg(card.origin)
                            color: Theme.mutedText
                            font.pixelSize: 12
                            wrapMode: Text.Wrap
                        }
                        RowLayout {
                            objectName: "originalOffer"
                            Layout.fillWidth: true
                            visible: card.originalState.length > 0
                            spacing: 8
                            Label {
                                objectName: "originalOfferNote"
                                Layout.fillWidth: true
                                text: card.originalOffer.text || ""
                                color: card.originalState === "failed" ? Theme.danger : Theme.mutedText
                                font.pixelSize: 12
                                wrapMode: Text.Wrap
                            }
                            ColumnLayout {
                                Layout.alignment: Qt.AlignTop
                                spacing: 4
                                Button {
                                    objectName: "downloadOriginalButton"
                                    Layout.fillWidth: true
                                    Layout.minimumWidth: implicitWidth
                                    visible: card.originalState === "offer" || card.originalState === "failed"
                                    text: card.originalState === "failed" ? qsTr("Try the download again")
                                                                          : qsTr("Download the 8-bit original to compare")
                                    onClicked: EightBitOriginal.download(card.variantId)
                                }
                                Button {
                                    objectName: "makeEightBitCopyButton"
                                    Layout.fillWidth: true
                                    Layout.minimumWidth: implicitWidth
                                    visible: card.originalOffer.canMakeCopy === true
                                    enabled: card.fileExists && !Builder.running
                                    text: qsTr("Make an 8-bit copy")
                                    ToolTip.visible: hovered
                                    ToolTip.text: qsTr("Made from the 4-bit file: it shows what 8 bits cost in size and speed, and cannot answer better")
                                    onClicked: Builder.create(card.variantId, "Q8_0")
                                }
                            }
                        }
                        Label {
                            objectName: "measuredQuality"
                            Layout.fillWidth: true
                            text: card.measured
                                  ? qsTr("Measured quality: same top token %1 · KL divergence %2 · perplexity %3 · %4 tokens/s")
                                    .arg(card.figure(card.sameTopPercent, 1, "%")).arg(card.figure(card.kldMean, 4))
                                    .arg(card.figure(card.perplexity, 2)).arg(card.figure(card.measuredTokensPerSecond, 1))
                                  : qsTr("Quality not measured yet: compare it with another precision on your chats (Compare variants).")
                            color: card.measured ? Theme.text : Theme.mutedText
                            font.pixelSize: 12
                            wrapMode: Text.Wrap
                        }
                        Label {
                            Layout.fillWidth: true
                            visible: card.measured && card.qualityNote.length > 0
                            text: card.qualityNote
                            color: Theme.mutedText
                            font.pixelSize: 11
                            elide: Text.ElideRight
                        }
                        RowLayout {
                            objectName: "buildProgress"
                            Layout.fillWidth: true
                            visible: card.building
                            spacing: 8
                            Label {
                                text: qsTr("Making %1 · %2").arg(Builder.label).arg(Builder.phase)
                                color: Theme.text
                                font.pixelSize: 12
                                elide: Text.ElideRight
                                Layout.maximumWidth: 420
                            }
                            ProgressBar {
                                Layout.fillWidth: true
                                from: 0
                                to: 1
                                value: Builder.progress
                            }
                            Button {
                                objectName: "cancelBuildButton"
                                text: qsTr("Cancel")
                                onClicked: Builder.cancel()
                            }
                        }
                    }
                    ColumnLayout {
                        Layout.alignment: Qt.AlignTop
                        // Its buttons fill the column, not the column the card.
                        Layout.fillWidth: false
                        spacing: 4
                        Button {
                            Layout.fillWidth: true
                            Layout.minimumWidth: implicitWidth
                            text: card.inUse ? qsTr("In use") : qsTr("Use in chat")
                            enabled: !card.inUse && card.fileExists && !Chat.generating
                            onClicked: page.useVariant(card.variantId)
                        }
                        Button {
                            objectName: "createVariantButton"
                            Layout.fillWidth: true
                            // The card's details give way first: the label is cut otherwise.
                            Layout.minimumWidth: implicitWidth
                            text: qsTr("Create variant…")
                            enabled: card.fileExists && !Builder.running
                            ToolTip.visible: hovered
                            ToolTip.text: qsTr("Make an 8-bit or 4-bit copy of this model")
                            onClicked: createDialog.openFor(card.variantId, card.label)
                        }
                        RowLayout {
                            Layout.alignment: Qt.AlignRight
                            IconButton {
                                iconName: "folder"
                                tip: qsTr("Show the file's folder")
                                onClicked: Library.revealFolder(card.filePath)
                            }
                            IconButton {
                                iconName: "trash"
                                objectName: "deleteVariantButton"
                                tip: qsTr("Delete this variant")
                                enabled: (!card.inUse || !Chat.generating) && !card.building
                                onClicked: deleteDialog.openFor(card.variantId, card.label, card.sizeText)
                            }
                        }
                    }
                }
            }

            Label {
                anchors.centerIn: parent
                visible: list.count === 0
                text: qsTr("No models yet. Import a .gguf file, or drop one here, to start chatting.")
                color: Theme.mutedText
            }
        }
    }

    CreateVariantDialog { id: createDialog }
    DeleteVariantDialog { id: deleteDialog }

    // "Made …" would otherwise go on naming a variant that is gone.
    Connections {
        target: Library
        function onVariantRemoved() { Builder.dismissMessage() }
    }

    FileDialog {
        id: importDialog
        title: qsTr("Import a model")
        nameFilters: [qsTr("GGUF models (*.gguf)"), qsTr("All files (*)")]
        onAccepted: Library.importFile(selectedFile)
    }
}
