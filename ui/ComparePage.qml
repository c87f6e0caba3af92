import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// Two variants, one prompt: both answer with the same sampling settings and
// seed, one after the other, shown side by side with their speed; then how
// closely B follows A is measured (on that prompt, or on the saved chats).
Item {
    id: page

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 24
        spacing: 14

        RowLayout {
            Layout.fillWidth: true
            spacing: 12
            Label { text: qsTr("A"); color: Theme.mutedText; font.weight: Font.DemiBold }
            VariantComboBox {
                objectName: "compareVariantA"
                Layout.fillWidth: true
                enabled: !Compare.running
                selectedId: Compare.variantA
                onPicked: (variantId) => Compare.variantA = variantId
            }
            Label { text: qsTr("B"); color: Theme.mutedText; font.weight: Font.DemiBold }
            VariantComboBox {
                objectName: "compareVariantB"
                Layout.fillWidth: true
                enabled: !Compare.running
                selectedId: Compare.variantB
                onPicked: (variantId) => Compare.variantB = variantId
            }
        }

        Rectangle {
            Layout.fillWidth: true
            implicitHeight: 96
            radius: 12
            color: Theme.surface
            border.color: prompt.activeFocus ? Theme.accent : Theme.border
            RowLayout {
                anchors.fill: parent
                anchors.margins: 10
                spacing: 10
                ScrollView {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    TextArea {
                        id: prompt
                        objectName: "comparePrompt"
                        placeholderText: qsTr("A prompt for both variants")
                        wrapMode: TextEdit.Wrap
                        color: Theme.text
                        background: null
                    }
                }
                ColumnLayout {
                    Layout.alignment: Qt.AlignBottom
                    Label {
                        visible: Compare.seed > 0
                        // String(): arg() of a number this large writes it as 2.1e+08.
                        text: qsTr("seed %1").arg(String(Compare.seed))
                        color: Theme.mutedText
                        font.pixelSize: 11
                        Layout.alignment: Qt.AlignRight
                    }
                    Button {
                        objectName: "compareRunButton"
                        text: Compare.running ? qsTr("Stop") : qsTr("Compare")
                        highlighted: !Compare.running
                        enabled: Compare.running || (prompt.text.trim().length > 0 && !Chat.generating)
                        onClicked: Compare.running ? Compare.stop() : Compare.run(prompt.text)
                    }
                }
            }
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 14
            CompareResult {
                objectName: "compareResultA"
                Layout.fillWidth: true
                Layout.fillHeight: true
                Layout.preferredWidth: 1
                heading: qsTr("A · %1").arg(Variants.labelOf(Compare.variantA))
                variantId: Compare.variantA
                result: Compare.resultA
            }
            CompareResult {
                objectName: "compareResultB"
                Layout.fillWidth: true
                Layout.fillHeight: true
                Layout.preferredWidth: 1
                heading: qsTr("B · %1").arg(Variants.labelOf(Compare.variantB))
                variantId: Compare.variantB
                result: Compare.resultB
            }
        }

        QualityPanel {
            objectName: "qualityPanel"
            Layout.fillWidth: true
            referenceId: Compare.variantA
            variantId: Compare.variantB
        }
    }
}
