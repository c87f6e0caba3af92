import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

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
            Label { text: qsTr("A"); color: theme.mutedText; font.weight: Font.DemiBold }
            VariantComboBox {
                objectName: "compareVariantA"
                Layout.fillWidth: true
                enabled: !compare.running
                selectedId: compare.variantA
                onPicked: (variantId) => compare.variantA = variantId
            }
            Label { text: qsTr("B"); color: theme.mutedText; font.weight: Font.DemiBold }
            VariantComboBox {
                objectName: "compareVariantB"
                Layout.fillWidth: true
                enabled: !compare.running
                selectedId: compare.variantB
                onPicked: (variantId) => compare.variantB = variantId
            }
        }

        Rectangle {
            Layout.fillWidth: true
            implicitHeight: 96
            radius: 12
            color: theme.surface
            border.color: prompt.activeFocus ? theme.accent : theme.border
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
                        color: theme.text
                        background: null
                    }
                }
                ColumnLayout {
                    Layout.alignment: Qt.AlignBottom
                    Label {
                        visible: compare.seed > 0
                        // String(): arg() of a number this large writes it as 2.1e+08.
                        text: qsTr("seed %1").arg(String(compare.seed))
                        color: theme.mutedText
                        font.pixelSize: 11
                        Layout.alignment: Qt.AlignRight
                    }
                    Button {
                        objectName: "compareRunButton"
                        text: compare.running ? qsTr("Stop") : qsTr("Compare")
                        highlighted: !compare.running
                        enabled: compare.running || (prompt.text.trim().length > 0 && !chat.generating)
                        onClicked: compare.running ? compare.stop() : compare.run(prompt.text)
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
                heading: qsTr("A · %1").arg(variants.labelOf(compare.variantA))
                variantId: compare.variantA
                result: compare.resultA
            }
            CompareResult {
                objectName: "compareResultB"
                Layout.fillWidth: true
                Layout.fillHeight: true
                Layout.preferredWidth: 1
                heading: qsTr("B · %1").arg(variants.labelOf(compare.variantB))
                variantId: compare.variantB
                result: compare.resultB
            }
        }

        QualityPanel {
            objectName: "qualityPanel"
            Layout.fillWidth: true
            referenceId: compare.variantA
            variantId: compare.variantB
        }
    }
}
